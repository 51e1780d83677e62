"""The orchestrator: state, planner, graph, sessions, jobs, API and CLI."""
