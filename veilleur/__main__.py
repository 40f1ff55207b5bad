from veilleur.cli import main

main()
