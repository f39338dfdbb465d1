"""hakea-dhcp4: the DHCPv4 server, started like kea-dhcp4 (-c FILE, -t FILE, -p PORT, -d, -v)."""

from __future__ import annotations

from hakea.cli.daemon_cli import daemon_command

main = daemon_command("DHCPv4", "hakea.server.dhcp4_daemon")

if __name__ == "__main__":
    main()
