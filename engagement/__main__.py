from engagement.cli import main

main(prog_name="python -m engagement")
