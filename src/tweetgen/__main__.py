"""``python -m tweetgen``: the same command as ``tweetgen``, for environments without scripts."""

from tweetgen.cli import main

if __name__ == "__main__":
    main(prog_name="tweetgen")
