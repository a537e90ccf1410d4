"""Home-visit tasks: dispatch, the volunteer's phone flow, check-alls, the secretary's dashboard."""
