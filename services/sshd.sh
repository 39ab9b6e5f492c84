#!/usr/bin/env bash
# Start an sshd on 127.0.0.1 (a free port) that accepts a generated key for root.
# Idempotent. Writes host, port, user and key path to $CM_SERVICES/sshd/env.
set -euo pipefail
CM_SERVICES=${CM_SERVICES:-/tmp/cm-services}
STATE=$CM_SERVICES/sshd
mkdir -p "$STATE"
chmod 700 "$STATE"

if ! [ -x /usr/sbin/sshd ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server >/dev/null
fi

if [ -f "$STATE/env" ] && [ -f "$STATE/sshd.pid" ] && kill -0 "$(cat "$STATE/sshd.pid")" 2>/dev/null; then
  echo "sshd: already up"; exit 0
fi

[ -f "$STATE/host_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$STATE/host_key"
[ -f "$STATE/client_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$STATE/client_key"
mkdir -p /root/.ssh /run/sshd
chmod 700 /root/.ssh
touch /root/.ssh/authorized_keys
grep -qF "$(cat "$STATE/client_key.pub")" /root/.ssh/authorized_keys || cat "$STATE/client_key.pub" >> /root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$STATE/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $port
HostKey $STATE/host_key
PidFile $STATE/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile /root/.ssh/authorized_keys
UsePAM no
StrictModes no
MaxSessions 64
MaxStartups 64:30:128
Subsystem sftp internal-sftp
CONF
/usr/sbin/sshd -f "$STATE/sshd_config" -E "$STATE/sshd.log"
for _ in $(seq 1 30); do
  if ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
       -i "$STATE/client_key" -p "$port" root@127.0.0.1 true 2>/dev/null; then
    printf 'CM_SSH_HOST=127.0.0.1\nCM_SSH_PORT=%s\nCM_SSH_USER=root\nCM_SSH_KEY=%s\n' "$port" "$STATE/client_key" > "$STATE/env"
    echo "sshd: up on 127.0.0.1:$port"; exit 0
  fi
  sleep 0.5
done
echo "sshd: did not answer; see $STATE/sshd.log" >&2
exit 1
