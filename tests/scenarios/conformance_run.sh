#!/usr/bin/env bash
# `vdpasim conformance` end to end against the example plugin and the built-in
# test device: the package's files exist and are well-formed, SHA256SUMS
# verifies with sha256sum, two runs are byte-identical, a failing device exits 1.
source "$(dirname "$0")/common.bash" "$1"

make -s -C "$root/examples/minimal_plugin" OUT="$tmp/plugin" >"$tmp/make.log" 2>&1 ||
	die "building the example plugin: $(cat "$tmp/make.log")"
plugin=$tmp/plugin/libminimal_plugin.so
[ -f "$plugin" ] || die "make -C examples/minimal_plugin built no $plugin"

expect 0 conformance --device "$plugin" --out "$tmp/a" --quiet
expect 0 conformance --device "$plugin" --out "$tmp/b" --quiet
grep -q "conformance minimal (shard 1/1): pass:" "$tmp/stderr" || die "verdict line: $(cat "$tmp/stderr")"
for f in STATEMENT SHA256SUMS conformance.json junit.xml report.html report.md; do
	[ -s "$tmp/a/$f" ] || die "missing $f"
	cmp -s "$tmp/a/$f" "$tmp/b/$f" || die "$f differs between two identical runs"
done
[ "$(ls "$tmp/a" | wc -l)" -eq 6 ] || die "stray files: $(ls -A "$tmp/a")"
(cd "$tmp/a" && sha256sum --quiet -c SHA256SUMS) || die "sha256sum -c SHA256SUMS failed"

rows=$(($(wc -l <"$root/conformance/requirements.tsv") - 1))
python3 - "$tmp/a" "$rows" <<'PY' || die "report files are not well-formed"
import html.parser, json, re, sys, xml.etree.ElementTree as ET
d, rows = sys.argv[1], int(sys.argv[2])
root = ET.parse(d + "/junit.xml").getroot()
cases = root.findall(".//testcase")
assert len(cases) == rows, "%d testcases for %d requirements" % (len(cases), rows)
assert len({c.get("name") for c in cases}) == rows, "duplicate testcase names"
for c in cases:
    assert c.get("classname") and c.get("name"), c.attrib
junit = open(d + "/junit.xml").read()
assert "timestamp" not in junit and "hostname" not in junit and " time=" not in junit

class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.tags = [], 0
    def handle_starttag(self, tag, attrs):
        self.tags += 1
        for k, v in attrs:
            if k in ("src", "href", "xlink:href", "action", "data"):
                self.refs.append((tag, k, v))
page = open(d + "/report.html", encoding="utf-8").read()
p = P()
p.feed(page)
p.close()
assert p.tags > rows, p.tags
assert not p.refs, p.refs
assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page, re.I), "external URL in report.html"
assert "<svg" in page and "<style>" in page

r = json.load(open(d + "/conformance.json"))
assert r["tool"] == "vdpasim" and r["device"]["name"] == "minimal"
assert re.fullmatch(r"[0-9a-f]{64}", r["device"]["plugin_sha256"])
assert r["device"]["source"] == "libminimal_plugin.so"
assert r["seed"] == 1 and r["shard"] == "1/1" and r["verdict"] == "pass"
assert len(r["requirements"]) == rows
st = {x["status"] for x in r["requirements"]}
assert st <= {"pass", "fail", "error", "not_applicable", "not_tested"}, st
assert r["counts"]["requirements"] == rows
for x in r["requirements"]:
    assert list(x) == ["id", "section", "actor", "level", "area", "text", "status", "note",
                       "covered_by", "evidence"], list(x)
PY

sum=$(sha256sum "$plugin" | cut -d' ' -f1)
grep -qx "plugin_sha256: $sum" "$tmp/a/STATEMENT" || die "STATEMENT plugin_sha256"
grep -qx "verdict: pass" "$tmp/a/STATEMENT" || die "STATEMENT verdict"
grep -q "^git_describe: " "$tmp/a/STATEMENT" || die "STATEMENT git_describe"
expect 0 report verify "$tmp/a"
grep -q "^verify .*: OK" "$tmp/stdout" || die "verify output: $(cat "$tmp/stdout")"

# the built-in test device, made to fail a MUST row
expect 0 conformance --device testnet --out "$tmp/t" --quiet --seed 5
grep -qx "seed: 5" "$tmp/t/STATEMENT" || die "--seed not in STATEMENT"
expect 1 conformance --device testnet --device-options vendor_id=0x1234 --out "$tmp/f" --quiet
grep -qx "verdict: fail" "$tmp/f/STATEMENT" || die "failing run's STATEMENT"
grep -q 'name="PCI-DEV-02">' "$tmp/f/junit.xml" || die "junit testcase"
grep -q '<failure message="vendor ID 0x1234' "$tmp/f/junit.xml" || die "junit failure message"
expect 1 report verify "$tmp/f"
grep -q "must-pass: PCI-DEV-02 (MUST) is fail" "$tmp/stderr" || die "verify must-pass: $(cat "$tmp/stderr")"

# usage errors
expect 2 conformance --out "$tmp/x"
expect 2 conformance --device testnet --ring diagonal --out "$tmp/x"
expect 2 conformance --device testnet --ring packed --out "$tmp/x"
grep -q "does not offer VIRTIO_F_RING_PACKED" "$tmp/stderr" || die "--ring packed message"
expect 2 conformance --device testnet --shard 3/2 --out "$tmp/x"
expect 2 conformance --device testnet --only NOPE-01 --out "$tmp/x"
[ ! -e "$tmp/x" ] || die "a refused run left $tmp/x behind"
echo "ok"
