"""``python -m benchmarks``: prove every page stays fast at scale, on both stores.

- :mod:`.generate` draws a synthetic organisation from a seed (numpy, no I/O);
- :mod:`.store` loads it in bulk into SQLite or PostgreSQL and caches the result;
- :mod:`.timing` times the engagement functions the pages call, writes and imports;
- :mod:`.raw` answers the same questions with hand-written SQL (the engine's limit);
- :mod:`.naive` is the anti-pattern (whole table into pandas), run in a child process;
- :mod:`.report` prints the table, writes the JSON and describes the machine;
- :mod:`.run` ties them together for the command line (``__main__``);
- :mod:`.page_reruns` times every page's full rerun through AppTest, each in a process of its own;
- :mod:`.load` opens many sessions at once against real ``streamlit run`` servers.

It lives outside ``engagement``: the product never imports its benchmark.
"""
