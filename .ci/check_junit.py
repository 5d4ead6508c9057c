"""Reads reports/junit.xml with junitparser (a JUnit consumer from PyPI) and checks it against
reports/coverage.json: the same case count, no failures, every case with its SCR properties."""
import json, sys
from junitparser import JUnitXml, Failure, Error, Skipped

xml = JUnitXml.fromfile(sys.argv[1])
coverage = json.load(open(sys.argv[2]))
cases = [case for suite in xml for case in suite]
total = sum(coverage["totals"].values())
assert len(cases) == total, f"{len(cases)} test cases in JUnit, {total} in coverage"
failed = [c.name for c in cases if any(isinstance(r, (Failure, Error)) for r in c.result)]
assert not failed, f"failed cases: {failed}"
skipped = sum(1 for c in cases if any(isinstance(r, Skipped) for r in c.result))
for case in cases:
    props = case._elem.find("properties")
    assert props is not None and any(p.get("name") == "scr" for p in props.findall("property")), f"{case.name} has no scr property"
print(f"junitparser: {len(xml)} suites, {len(cases)} cases, {skipped} skipped, 0 failed: OK")
