"""What DHCPv4 and DHCPv6 options have in common: the shape of a Kea option definition and the
option-data text <-> payload rules. The standard tables and what differs per family live in
hakea.dhcp4.options and hakea.dhcp6.options."""
