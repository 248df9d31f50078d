#!/usr/bin/python3
"""Cross-checks jet's reference executor against numpy, op by op and dtype
by dtype (run with Debian's /usr/bin/python3 and python3-numpy).

  check_ops.py --tool PATH/jet_exec_file --workdir DIR [--only SUBSTR] [-v]

Every case is a one-node graph (a few are small programs) in jet's text form
with raw little-endian arguments; all cases go to one run of jet_exec_file
(--batch: WORKDIR/cases.bin in, WORKDIR/results.bin out), then each output
is compared with a numpy reference computed in float64 (ints and bool
exactly). Each failing case is also written as a case directory,
WORKDIR/failures/KEY (graph.jet, arg*.bin, expected*.bin), which
`jet_exec_file DIR` reruns; -v prints the graph of each failure. Comparison modes and tolerances are
documented in jetnp.py. Inputs come from one generator with a fixed seed.

Coverage: every op of shared/include/jet/ops.def must have at least one
case for every dtype its mask accepts (minus the combinations its shape rule
rejects, listed in RULE_REJECTS); a missing combination is a failure.

Prints one line per case and ends with exactly one line "N passed, M failed";
exits 1 when anything failed.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import warnings

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import jetnp  # noqa: E402
import cases_elementwise  # noqa: E402
import cases_reduce  # noqa: E402
import cases_shape  # noqa: E402

OPS_DEF = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared',
                       'include', 'jet', 'ops.def')
MASKS = {
    'JET_DTM_BOOL': ['bool'], 'JET_DTM_SINT': jetnp.SINT, 'JET_DTM_UINT': jetnp.UINT,
    'JET_DTM_INT': jetnp.INT, 'JET_DTM_FLOAT': jetnp.FLOAT, 'JET_DTM_SIGNED': jetnp.SIGNED,
    'JET_DTM_NUM': jetnp.NUM, 'JET_DTM_INTBOOL': jetnp.INTBOOL, 'JET_DTM_ANY': jetnp.ANY,
}
# (op, dtype) pairs that the op's mask lists but its shape rule refuses.
RULE_REJECTS = {('iota', 'bool')}
# Collectives run only inside a vmap (or pmap) of their axis name; the
# reference executor refuses them ("unbound axis name"), so they have no
# numpy case: tests/unit/test_server_collectives.c checks them inside vmap
# against per-example references.
COLLECTIVES = {'psum', 'pmax', 'pmin', 'all_gather', 'psum_scatter', 'ppermute', 'all_to_all',
               'axis_index'}


def pmap_cases():
    """pmap through the reference executor (one thread per member): every
    dtype, a ppermute (swap) body with x mapped along axis 1 and w whole,
    stacked along axis 0 and member 0's; numeric dtypes also a psum body
    with x mapped along axis 0, stacked along axis 1. Exact (the sum of
    two members is a + b on both sides). Collectives in the body and more
    sizes: tests/unit/test_server_pmap_ref.c."""
    out = []
    for dt in jetnp.ANY:
        x = jetnp.rand(dt, (3, 2), -100, 100)
        w = jetnp.rand(dt, (3,), -100, 100)
        t, tx, tw = jetnp.ty(np.zeros((2, 3), x.dtype)), jetnp.ty(x), jetnp.ty(w)
        text = ('graph p(%0: X, %1: W) {\n'
                '  %2, %3 = pmap[axis_name="i", axis_size=2, in_axes=[1, -1], '
                'out_axes=[0, -1]] %0, %1 : Y, W {\n'
                '    graph b(%0: W, %1: W) {\n'
                '      %2 = ppermute[axis_name="i", perm=[0, 1, 1, 0]] %0 : W\n'
                '      return %2, %1\n    }\n'
                '  }\n  return %2, %3\n}\n').replace('X', tx).replace('W', tw).replace('Y', t)
        out.append(jetnp.Case('pmap', dt, 'ppermute swap', text, [x, w],
                              [np.ascontiguousarray(x[:, ::-1].T), w],
                              jetnp.check_spec('exact', signed_zero=False)))
        if dt not in jetnp.NUM:
            continue
        x = jetnp.rand(dt, (2, 3), -100, 100)
        t = jetnp.ty(np.zeros((3, 2), x.dtype))
        text = ('graph p(%0: X, %1: W) {\n'
                '  %2 = pmap[axis_name="i", axis_size=2, in_axes=[0, -1], out_axes=[1]] '
                '%0, %1 : Y {\n'
                '    graph b(%0: W, %1: W) {\n'
                '      %2 = psum[axis_name="i"] %0 : W\n'
                '      %3 = add %2, %1 : W\n'
                '      return %3\n    }\n'
                '  }\n  return %2\n}\n').replace('X', jetnp.ty(x)).replace('W', tw).replace('Y', t)
        s = (x[0] + x[1]) + w
        out.append(jetnp.Case('pmap', dt, 'psum + unmapped', text, [x, w],
                              [np.ascontiguousarray(np.stack([s, s], axis=1))],
                              jetnp.check_spec('exact', signed_zero=False)))
    return out


def ops_table():
    """[(name, [dtypes])] from ops.def."""
    text = open(OPS_DEF).read()
    out = []
    for m in re.finditer(r'^JET_OP\(\s*\w+\s*,\s*"([^"]+)"\s*,\s*-?\d+\s*,\s*\w+\s*,\s*(\w+)',
                         text, re.M):
        out.append((m.group(1), MASKS[m.group(2)]))
    return out


def parse_type(s):
    m = re.fullmatch(r'(\w+)\[([0-9,]*)\]', s.strip())
    if not m:
        raise ValueError('bad type %r' % s)
    dims = tuple(int(d) for d in m.group(2).split(',')) if m.group(2) else ()
    return jetnp.DTYPES[m.group(1)], dims


def encode_case(key, case):
    """One case in jet_exec_file's batch format."""
    text = case.text.encode()
    parts = [b'jetcase %s %d %d\n' % (key.encode(), len(text), len(case.args)), text]
    for a in case.args:
        data = np.array(a, order='C').astype(a.dtype.newbyteorder('<')).tobytes()
        parts.append(b'arg %d\n' % len(data))
        parts.append(data)
    return b''.join(parts)


def decode_results(raw):
    """{key: ('ok', [(type string, bytes)]) or ('error', message)}; a
    truncated last record (the tool died) is left out."""
    out = {}
    pos = 0
    try:
        while pos < len(raw):
            nl = raw.index(b'\n', pos)
            head = raw[pos:nl].decode(errors='replace').split(' ', 3)
            pos = nl + 1
            key, status = head[1], head[2]
            if status != 'ok':
                out[key] = ('error', ' '.join(head[2:]))
                continue
            outs = []
            for _ in range(int(head[3])):
                nl = raw.index(b'\n', pos)
                _, t, n = raw[pos:nl].decode().split(' ')
                pos = nl + 1
                if pos + int(n) > len(raw):
                    return out
                outs.append((t, raw[pos:pos + int(n)]))
                pos += int(n)
            out[key] = ('ok', outs)
    except (ValueError, IndexError):
        pass
    return out


def run_tool(tool, workdir, pending):
    """Runs all (key, case) pairs through jet_exec_file --batch. When the
    tool dies (a crashing kernel), the case it was running is recorded as
    failed and the tool runs again on the cases after it."""
    batch_in = os.path.join(workdir, 'cases.bin')
    batch_out = os.path.join(workdir, 'results.bin')
    results = {}
    while pending:
        with open(batch_in, 'wb') as f:
            for key, case in pending:
                f.write(encode_case(key, case))
        if os.path.exists(batch_out):
            os.remove(batch_out)
        try:
            proc = subprocess.run([tool, '--batch', batch_in, batch_out],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
            rc, err = proc.returncode, proc.stderr.decode(errors='replace')
        except subprocess.TimeoutExpired:
            rc, err = 'timeout', ''
        if os.path.exists(batch_out):
            with open(batch_out, 'rb') as f:
                results.update(decode_results(f.read()))
        missing = [i for i, (key, _) in enumerate(pending) if key not in results]
        if not missing:
            break
        # Status 1 without all results: a sanitizer stopped the tool.
        first = missing[0]
        results[pending[first][0]] = ('error', 'jet_exec_file ended with status %s while running '
                                      'this case: %s' % (rc, err[-800:].strip()))
        pending = pending[first + 1:]
    return results


def save_failure(workdir, key, case):
    """Writes a failing case as a case directory jet_exec_file can rerun:
    WORKDIR/failures/KEY/{graph.jet, arg*.bin, expected*.bin}."""
    d = os.path.join(workdir, 'failures', key)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'graph.jet'), 'w') as f:
        f.write('# %s\n' % case.name + case.text)
    for prefix, arrays in (('arg', case.args), ('expected', case.expected)):
        for i, a in enumerate(arrays):
            with open(os.path.join(d, '%s%d.bin' % (prefix, i)), 'wb') as f:
                f.write(np.array(a, order='C').astype(a.dtype.newbyteorder('<')).tobytes())
    return d


def judge(result, case):
    """(ok, message) for one case after the tool ran."""
    if result is None:
        return False, 'no result (tool crashed?)'
    if result[0] != 'ok':
        return False, result[1]
    outs = result[1]
    if len(outs) != len(case.expected):
        return False, '%d outputs, expected %d' % (len(outs), len(case.expected))
    msgs = []
    for i, ((t, raw), exp) in enumerate(zip(outs, case.expected)):
        dt, shape = parse_type(t)
        if dt != exp.dtype or shape != exp.shape:
            msgs.append('out%d is %s, expected %s' % (i, t, jetnp.ty(exp)))
            continue
        got = np.frombuffer(raw, dtype=dt.newbyteorder('<')).astype(dt).reshape(shape)
        bad = jetnp.mismatches(got, exp, case.check, case.args)
        if len(bad):
            msgs.append(jetnp.explain(case, i, got, exp, bad))
    return not msgs, '; '.join(msgs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--tool', required=True)
    ap.add_argument('--workdir', required=True)
    ap.add_argument('--only', default='', help='run only cases whose name contains this')
    ap.add_argument('-v', '--verbose', action='store_true', help='print graphs of failures')
    opts = ap.parse_args()
    warnings.simplefilter('ignore')
    np.seterr(all='ignore')

    cases = []
    for mod in (cases_elementwise, cases_shape, cases_reduce):
        cases.extend(mod.cases())
    cases.extend(pmap_cases())
    covered = set((c.op, c.dt) for c in cases)
    if opts.only:
        cases = [c for c in cases if opts.only in c.name]

    if os.path.isdir(os.path.join(opts.workdir, 'failures')):
        shutil.rmtree(os.path.join(opts.workdir, 'failures'))
    os.makedirs(opts.workdir, exist_ok=True)
    keys = ['c%05d' % i for i in range(len(cases))]
    results = run_tool(opts.tool, opts.workdir, list(zip(keys, cases)))

    passed = failed = 0
    for key, case in zip(keys, cases):
        ok, msg = judge(results.get(key), case)
        if ok:
            passed += 1
            print('PASS %s' % case.name)
        else:
            failed += 1
            d = save_failure(opts.workdir, key, case)
            print('FAIL %s [%s]: %s' % (case.name, d, msg))
            if opts.verbose:
                print(case.text)
    if not opts.only:
        for op, dts in ops_table():
            for dt in dts:
                if (op, dt) in covered or (op, dt) in RULE_REJECTS or op in COLLECTIVES:
                    continue
                failed += 1
                print('FAIL %s/%s/coverage: no case for this op and dtype' % (op, dt))
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
