"""hakea-dhcp6: the DHCPv6 server, started like kea-dhcp6 (-c FILE, -t FILE, -p PORT, -d, -v)."""

from __future__ import annotations

from hakea.cli.daemon_cli import daemon_command

main = daemon_command("DHCPv6", "hakea.server.dhcp6_daemon")

if __name__ == "__main__":
    main()
