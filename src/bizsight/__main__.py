from bizsight.cli import main

main()
