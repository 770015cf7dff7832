from confidant.cli import main

main()
