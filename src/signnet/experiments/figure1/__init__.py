"""The figure1 experiment (``signnet reproduce``): :mod:`.run` computes, :mod:`.results` types, :mod:`.verdicts`
checks, :mod:`.construct` builds the DNN+ that reaches the ceiling, :mod:`.report` draws and renders."""
