"""``python -m benchmarks``: time every page's queries at scale, on both stores, and check the targets."""

from __future__ import annotations

from pathlib import Path

import click

from benchmarks import report, run

BENCH_SCALES = ("XS", "S", "M", "L")
BENCH_STORES = ("sqlite", "postgresql")


@click.command(context_settings={"allow_extra_args": True})
@click.option(
    "--scales", multiple=True, type=click.Choice(BENCH_SCALES), help="Scales to run, e.g. --scales S M (default: all)."
)
@click.option(
    "--stores",
    multiple=True,
    type=click.Choice(BENCH_STORES),
    help="Stores to run, e.g. --stores sqlite postgresql (default: sqlite, and postgresql with --pg-url).",
)
@click.option(
    "--pg-url", envvar="BENCH_PG_URL", help="A PostgreSQL server URL; the bench creates its own databases there."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("bench-results/latest.json"),
    show_default=True,
    help="Where to write the JSON (a .md table is written beside it).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the synthetic organisations.")
@click.option("--quick", is_flag=True, help="Fewer repetitions (3, 200 logged results, one import, one naive run).")
@click.option("--fresh", is_flag=True, help="Rebuild the databases even if cached ones exist.")
@click.option(
    "--pages/--no-pages", default=True, show_default=True, help="Also time every page's full rerun (AppTest)."
)
@click.option("--naive/--no-naive", default=True, show_default=True, help="Also time the whole-table pandas approach.")
@click.pass_context
def bench_command(
    ctx: click.Context,
    scales: tuple[str, ...],
    stores: tuple[str, ...],
    pg_url: str | None,
    out: Path,
    seed: int,
    quick: bool,
    fresh: bool,
    pages: bool,
    naive: bool,
) -> None:
    """Time every page's queries at scale S, M and L against hand-written SQL, and check the targets.

    Databases are generated once per store, scale, seed and schema revision and
    kept (SQLite files in bench-results/, PostgreSQL databases ib_bench_*).
    """
    # "--scales S M L --stores sqlite postgresql": the values after the first are extra
    # arguments; scale and store names never overlap, so each finds its option.
    scales += tuple(a for a in ctx.args if a in BENCH_SCALES)
    stores += tuple(a for a in ctx.args if a in BENCH_STORES)
    unknown = [a for a in ctx.args if a not in BENCH_SCALES + BENCH_STORES]
    if unknown:
        raise click.UsageError(f"unexpected arguments: {' '.join(unknown)}")
    chosen = list(dict.fromkeys(stores)) or (["sqlite", "postgresql"] if pg_url else ["sqlite"])
    result = run.bench(
        list(dict.fromkeys(scales)) or ["S", "M", "L"],
        chosen,
        pg_url=pg_url,
        seed=seed,
        quick=quick,
        fresh=fresh,
        pages=pages,
        naive=naive,
        echo=click.echo,
    )
    run.save(result, out)
    click.echo("\n" + report.table(result) + "\n")
    for target in result["targets"]:
        mark = "met " if target["met"] else "MISSED"
        click.echo(f"{mark}  {target['where']}: {target['target']} = {target['value']} (limit {target['limit']})")
    click.echo(f"\nwritten: {out} and {out.with_suffix('.md')}")


if __name__ == "__main__":
    bench_command()
