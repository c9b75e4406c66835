"""Turns the statements a handler sent (from PostgreSQL's log, with log_min_duration_statement
= 0) into a pgbench script: the same SQL with the same parameter values.

usage: capture_sql.py LOG MARKER OUT.sql   (statements logged after the line naming MARKER)
"""
import re
import sys

log_path, marker, out_path = sys.argv[1:]
lines = open(log_path, encoding="utf-8", errors="replace").read().splitlines()
# Quoted, as psql logs `SELECT 'MARKER'`: a marker may begin another's name.
start = max(i for i, line in enumerate(lines) if "'%s'" % marker in line)
statements = []
i = start + 1
while i < len(lines):
    m = re.search(r"LOG:  duration: [0-9.]+ ms  execute [^:]*: (.*)$", lines[i])
    if m:
        sql = m.group(1)
        # A statement written over several lines goes on in lines that start with a tab.
        while i + 1 < len(lines) and lines[i + 1].startswith("\t"):
            i += 1
            sql += " " + lines[i].strip()
        params = {}
        if i + 1 < len(lines) and "DETAIL:  parameters:" in lines[i + 1]:
            detail = lines[i + 1].split("DETAIL:  parameters: ", 1)[1]
            for name, value in re.findall(r"\$(\d+) = (NULL|'(?:[^']|'')*')", detail):
                params[int(name)] = value
        for n in sorted(params, reverse=True):
            sql = re.sub(r"\$%d(?!\d)" % n, lambda _: params[n], sql)
        statements.append(sql)
    elif "bench-marker" in lines[i]:
        break
    i += 1
if not statements:
    sys.exit("no statements logged after %s" % marker)
with open(out_path, "w") as out:
    for sql in statements:
        out.write(sql.rstrip(";") + ";\n")
print("%s: %d statement(s)" % (marker, len(statements)))
