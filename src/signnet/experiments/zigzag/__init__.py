"""The zigzag experiment: what it runs (:mod:`.run`) and its report (:mod:`.report`)."""
