"""Endpoint compatibility for EC2-compatible services (moto, Eucalyptus-style private clouds).

libcloud finds elements under the exact namespace ``http://ec2.amazonaws.com/doc/2016-11-15/``.
Some EC2-compatible endpoints answer with the same namespace without its trailing slash, and
then every lookup silently finds nothing. This layer renames that one namespace to the
expected one after the XML is parsed; any other namespace is left alone, so checks stay strict.
It also supplies the ``<return>true</return>`` that AWS sends for successful boolean actions
(a failure is always an error response) where such an endpoint leaves it out.

:func:`list_nodes` follows DescribeInstances' ``nextToken``: libcloud reads only the first page
(moto's pages hold 100 reservations; AWS pages large accounts too).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from libcloud.compute.base import Node
from libcloud.compute.drivers.ec2 import NAMESPACE, EC2Connection, EC2NodeDriver, EC2Response
from libcloud.utils import xml as libcloud_xml

_BARE = "{" + NAMESPACE.rstrip("/") + "}"
_EXPECTED = "{" + NAMESPACE + "}"
_BOOLEAN_ACTIONS = {"RebootInstancesResponse", "DeleteKeyPairResponse"}


def fix_namespace(root: ET.Element) -> ET.Element:
    """Rename the EC2 namespace without trailing slash to libcloud's, in place; return ``root``."""
    if not root.tag.startswith(_BARE):
        return root
    for element in root.iter():
        if element.tag.startswith(_BARE):
            element.tag = _EXPECTED + element.tag[len(_BARE) :]
    action = root.tag[len(_EXPECTED) :]
    if action in _BOOLEAN_ACTIONS and root.find(_EXPECTED + "return") is None:
        ET.SubElement(root, _EXPECTED + "return").text = "true"
    return root


class CompatEC2Response(EC2Response):
    """An EC2 response whose parsed body has the namespace libcloud expects."""

    def parse_body(self) -> Any:
        body = super().parse_body()  # type: ignore[no-untyped-call]
        return fix_namespace(body) if isinstance(body, ET.Element) else body


class CompatEC2Connection(EC2Connection):
    """An EC2 connection answering with :class:`CompatEC2Response`."""

    responseCls = CompatEC2Response


class CompatEC2NodeDriver(EC2NodeDriver):
    """libcloud's EC2 driver for an EC2-compatible endpoint (``endpoint:`` in the cloud's settings)."""

    connectionCls = CompatEC2Connection


def list_nodes(driver: Any) -> list[Node]:
    """Every instance of an EC2 driver, page after page (at most 1,000 reservations a page)."""
    xml: Any = libcloud_xml  # untyped
    nodes: list[Node] = []
    token: str | None = None
    seen: set[str] = set()
    while True:
        params = {"Action": "DescribeInstances", "MaxResults": "1000"}
        if token:
            params["NextToken"] = token
        page = driver.connection.request(driver.path, params=params).object
        for reservation in xml.findall(element=page, xpath="reservationSet/item", namespace=NAMESPACE):
            nodes += driver._to_nodes(reservation, "instancesSet/item")
        token = xml.findtext(element=page, xpath="nextToken", namespace=NAMESPACE) or None
        if token is None or token in seen:  # a repeated token would loop forever
            break
        seen.add(token)
    addresses = driver.ex_describe_addresses(nodes) if nodes else {}
    for node in nodes:
        node.public_ips.extend(addresses.get(node.id, []))
    return nodes
