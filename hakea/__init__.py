"""hakea: a DHCPv4/DHCPv6 server with High Availability compatible with ISC Kea's HA hooks library."""

__version__ = "0.1.0"
