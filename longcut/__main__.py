from longcut.agent.cli.app import main

main()
