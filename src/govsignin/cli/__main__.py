from govsignin.cli import main

main()
