"""The figure1 experiment: what it runs (:mod:`.run`) and its report (:mod:`.report`)."""
