"""KPIs that collect themselves: the plan's source commands run on their cadence
(`warroom kpi watch`) or once (`warroom kpi check`), each result recorded through the
normal command path as a reading or, when the command gave no number, a failed reading."""
