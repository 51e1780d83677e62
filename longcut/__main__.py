from longcut.agent.cli import main

main()
