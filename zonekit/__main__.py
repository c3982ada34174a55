from zonekit.cli import main

main()
