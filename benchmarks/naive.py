"""The anti-pattern, measured: read the whole results table into pandas, then group.

Run as its own process (``python -m benchmarks.naive URL CHALLENGE START END RUNS``)
so its peak memory is its own; prints JSON with the timings, the peak RSS and
the team board it computed (checked against the product's by the caller).
This is what no page may do.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import date
from typing import Any

import pandas as pd

from db.engine import make_engine
from engagement.leaderboards import round2


def team_board(url: str, challenge_id: int, start: date, end: date) -> list[tuple[int, int, float]]:
    """The team board by points per member, computed in pandas from every row of every table."""
    engine = make_engine(url)
    with engine.connect() as conn:
        results = pd.read_sql("SELECT * FROM results", conn)
        people = pd.read_sql("SELECT * FROM people", conn)
        challenges = pd.read_sql("SELECT * FROM challenges", conn)
        teams = pd.read_sql("SELECT * FROM teams", conn)
        memberships = pd.read_sql("SELECT * FROM team_memberships", conn)
    engine.dispose()
    results["occurred_on"] = pd.to_datetime(results["occurred_on"])
    ok = results[
        (results["status"] == "approved")
        & (results["challenge_id"] == challenge_id)
        & (results["occurred_on"] >= pd.Timestamp(start))
        & (results["occurred_on"] <= pd.Timestamp(end))
    ]
    daily = ok.groupby(["person_id", "team_id", "challenge_id", "occurred_on"], as_index=False)["quantity"].sum()
    daily = daily.merge(challenges, left_on="challenge_id", right_on="id")
    capped = daily["daily_cap"].notna() & (daily["quantity"] > daily["daily_cap"])
    daily["points"] = daily["quantity"].where(~capped, daily["daily_cap"]) * daily["points_per_unit"]
    active = people[people["active"].astype(bool)]
    pp = daily.groupby(["person_id", "team_id"], as_index=False)["points"].sum()
    # The roster of the window: active people in the team on any of its days.
    valid_to = pd.to_datetime(memberships["valid_to"])
    during = (pd.to_datetime(memberships["valid_from"]) <= pd.Timestamp(end)) & (
        valid_to.isna() | (valid_to > pd.Timestamp(start))
    )
    roster = memberships[during & memberships["person_id"].isin(active["id"])][["team_id", "person_id"]]
    roster = roster.drop_duplicates()
    pp = pp.merge(roster, on=["team_id", "person_id"])
    credited = pp.groupby("team_id")["points"].sum()
    members = roster.groupby("team_id").size().rename_axis("id")
    board = teams.set_index("id").join(members.rename("members"), how="inner")
    board["points"] = credited.reindex(board.index).fillna(0.0)
    board["per_member"] = board["points"] / board["members"]
    key = board["per_member"].map(round2)
    board["rank"] = key.rank(method="min", ascending=False).astype(int)
    board = board.reset_index().sort_values(["rank", "name"])
    rows = zip(board["id"], board["rank"], board["per_member"], strict=True)
    return [(int(i), int(r), round2(float(v))) for i, r, v in rows]


def main(argv: list[str]) -> None:
    url, challenge, start, end, runs = (
        argv[1],
        int(argv[2]),
        date.fromisoformat(argv[3]),
        date.fromisoformat(argv[4]),
        int(argv[5]),
    )
    seconds: list[float] = []
    answer: Any = None
    for _ in range(runs):
        started = time.perf_counter()
        answer = team_board(url, challenge, start, end)
        seconds.append(time.perf_counter() - started)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": round(peak_mb), "answer": answer}))


if __name__ == "__main__":
    main(sys.argv)
