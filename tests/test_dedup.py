"""Cross-page duplicates: hand-built near copies cluster, look-alikes do not."""

import dataclasses
import datetime
import random

import pyarrow as pa
from conftest import CASES

from pipeline.core.config import Config
from pipeline.core.document import Document, make_doc_id
from pipeline.dedup.search import Earlier, cluster
from pipeline.dedup.sign import sign_documents

BASE = (CASES / "dedup" / "20200102-14-05.txt").read_text(encoding="utf-8").split("\n")
OTHER = (CASES / "dedup" / "20200122-14-05.txt").read_text(encoding="utf-8").split("\n")
TITLE, PARAGRAPHS = BASE[0], [p for p in BASE[1:] if p]
BOILERPLATE = [
    "本报记者在南极中山站、长城站、泰山站进行了连线采访。",
    "版权声明：凡注明“来源：人民日报”的所有作品，未经本报书面授权，不得转载、摘编或以其他方式使用。违者本报将依法追究责任。如需转载，请联系本报版权部门，联系电话：010-65368888。",
    "责任编辑：王小明 李华",
]


def doc(name, paragraphs, date="2020-01-02", title=TITLE):
    return Document(
        doc_id=make_doc_id(name),
        source_path=name,
        text="\n".join(paragraphs),
        title=title,
        date=datetime.date.fromisoformat(date) if date else None,
    )


ORIGINAL = doc("rmrb/20200102-14-05.txt", PARAGRAPHS)
REPOST = doc("portal/repost.txt", ["转载自人民网 编辑：张三 2020年01月03日 08:15", *PARAGRAPHS], date="2020-01-03")
EDITED_LEAD = doc(
    "portal/edited.txt",
    ["新年第一天，中国第三十六次南极考察队的数百名科考队员在辽阔的南极迎来2020年。", *PARAGRAPHS[1:]],
    date="2020-01-02",
)
TRUNCATED = doc("portal/truncated.txt", PARAGRAPHS[:-1], date="2020-01-01")
SAME_TOPIC = doc("rmrb/20200122-14-05.txt", [p for p in OTHER[2:] if p], title=OTHER[1], date="2020-01-22")


def decide(docs, config=None):
    """Decisions by doc_id, with the cluster (kept doc_id) and its size added."""
    config = config or Config()
    result = cluster(sign_documents(docs, config), config)
    sizes = {kept: size for kept, size, _ in result.clusters}
    rows = {row["doc_id"]: row for row in result.decisions.to_pylist()}
    for row in rows.values():
        row["cluster_id"] = row["duplicate_of"] or row["doc_id"]
        row["cluster_size"] = sizes.get(row["cluster_id"], 1)
    return rows, result.stats


def decide_in_runs(runs, config=None, removed=()):
    """Cluster run after run, each against the index the earlier ones left; doc_id -> kept doc_id."""
    config = config or Config()
    index = None
    duplicate_of: dict[str, str] = {}
    for number, docs in enumerate(runs):
        signatures = sign_documents(docs, config)
        gone = frozenset(removed) if number == len(runs) - 1 else frozenset()
        earlier = Earlier(index, dict(duplicate_of), gone) if index is not None else None
        result = cluster(signatures, config, earlier)
        for row in result.changes.to_pylist() + result.decisions.to_pylist():
            duplicate_of.pop(row["doc_id"], None)
            if row["duplicate_of"]:
                duplicate_of[row["doc_id"]] = row["duplicate_of"]
        for doc_id in gone:
            duplicate_of.pop(doc_id, None)
        if index is not None and gone:
            index = index.filter(pa.compute.invert(pa.compute.is_in(index["doc_id"], value_set=pa.array(sorted(gone)))))
        index = signatures if index is None else pa.concat_tables([index, signatures])
        assert set(duplicate_of.values()).isdisjoint(duplicate_of), "a duplicate points at another duplicate"
    return duplicate_of


def name_of(docs, doc_id):
    return next(d.source_path for d in docs if d.doc_id == doc_id)


def test_near_copies_cluster_together_and_the_most_complete_is_kept():
    docs = [TRUNCATED, EDITED_LEAD, ORIGINAL, REPOST, SAME_TOPIC]
    rows, stats = decide(docs)
    copies = [ORIGINAL, REPOST, EDITED_LEAD, TRUNCATED]
    assert len({rows[d.doc_id]["cluster_id"] for d in copies}) == 1
    assert {rows[d.doc_id]["cluster_size"] for d in copies} == {4}
    # The repost carries an extra header line, so it is the longest copy.
    kept = [d for d in copies if rows[d.doc_id]["duplicate_of"] is None]
    assert kept == [REPOST]
    for d in copies:
        if d is not REPOST:
            assert rows[d.doc_id]["duplicate_of"] == REPOST.doc_id
            assert rows[d.doc_id]["similarity"] >= 0.7
    assert rows[SAME_TOPIC.doc_id]["cluster_size"] == 1
    assert stats["verified_pairs"] >= 3


def test_articles_on_one_topic_with_shared_boilerplate_stay_apart():
    one = dataclasses.replace(ORIGINAL, text=ORIGINAL.text + "\n" + "\n".join(BOILERPLATE))
    two = dataclasses.replace(SAME_TOPIC, text=SAME_TOPIC.text + "\n" + "\n".join(BOILERPLATE))
    rows, _ = decide([one, two])
    assert rows[one.doc_id]["cluster_size"] == rows[two.doc_id]["cluster_size"] == 1
    assert rows[one.doc_id]["duplicate_of"] is None and rows[two.doc_id]["duplicate_of"] is None


def test_keep_policy_earliest_then_longest():
    rows, _ = decide([ORIGINAL, REPOST, TRUNCATED], Config(keep_policy=("earliest", "longest")))
    assert rows[TRUNCATED.doc_id]["duplicate_of"] is None
    assert rows[ORIGINAL.doc_id]["duplicate_of"] == TRUNCATED.doc_id


def test_ties_fall_to_the_earliest_date_then_the_smallest_id():
    first = doc("a/copy.txt", PARAGRAPHS, date="2020-01-05")
    second = doc("b/copy.txt", PARAGRAPHS, date="2020-01-04")
    third = doc("c/copy.txt", PARAGRAPHS, date="2020-01-04")
    rows, _ = decide([first, second, third])
    kept = [d for d in (first, second, third) if rows[d.doc_id]["duplicate_of"] is None]
    assert kept == [min((second, third), key=lambda d: d.doc_id)]


def test_exact_copies_have_similarity_one():
    copy = doc("mirror/copy.txt", PARAGRAPHS)
    rows, _ = decide([ORIGINAL, copy])
    dropped = [r for r in rows.values() if r["duplicate_of"]]
    assert len(dropped) == 1 and dropped[0]["similarity"] == 1.0


def test_decisions_do_not_depend_on_input_order():
    docs = [TRUNCATED, EDITED_LEAD, ORIGINAL, REPOST, SAME_TOPIC]
    expected, _ = decide(docs)
    for seed in range(5):
        shuffled = docs[:]
        random.Random(seed).shuffle(shuffled)
        rows, _ = decide(shuffled)
        assert rows == expected


def test_signatures_are_arrow_columns_with_band_keys():
    config = Config()
    table = sign_documents([ORIGINAL, REPOST], config)
    assert table.schema.field("minhash").type == pa.list_(pa.uint32(), config.num_perm)
    assert table.schema.field("band_keys").type == pa.list_(pa.uint64(), config.lsh_bands)
    assert table.num_rows == 2


def test_signatures_are_deterministic_and_seeded():
    a = sign_documents([ORIGINAL], Config()).column("minhash").to_pylist()
    b = sign_documents([ORIGINAL], Config()).column("minhash").to_pylist()
    c = sign_documents([ORIGINAL], Config(seed=7)).column("minhash").to_pylist()
    assert a == b and a != c


def test_english_copies_are_found_by_word_shingles():
    text = (
        "The city council approved the new housing plan on Friday, adding twenty thousand units over five years. "
        "Officials said young families and low-income households will be given priority in the first round."
    )
    one = Document(doc_id="e1", source_path="e1.txt", text=text)
    two = Document(doc_id="e2", source_path="e2.txt", text=text.replace("Friday", "Friday evening"))
    three = Document(
        doc_id="e3", source_path="e3.txt", text="A completely different story about the weather in spring and the rain."
    )
    rows, _ = decide([one, two, three])
    assert rows["e1"]["cluster_id"] == rows["e2"]["cluster_id"]
    assert rows["e3"]["cluster_size"] == 1


def test_runs_one_after_another_decide_as_one_run_over_everything():
    docs = [TRUNCATED, EDITED_LEAD, ORIGINAL, REPOST, SAME_TOPIC, doc("mirror/copy.txt", PARAGRAPHS)]
    expected, _ = decide(docs)
    expected_map = {doc_id: row["duplicate_of"] for doc_id, row in expected.items() if row["duplicate_of"]}
    for seed in range(8):
        shuffled = docs[:]
        random.Random(seed).shuffle(shuffled)
        cut_one, cut_two = sorted(random.Random(seed + 100).sample(range(1, len(docs)), 2))
        runs = [shuffled[:cut_one], shuffled[cut_one:cut_two], shuffled[cut_two:]]
        assert decide_in_runs(runs) == expected_map, [[d.source_path for d in r] for r in runs]


def test_a_better_new_copy_replaces_the_kept_one_and_the_change_is_reported():
    config = Config()
    first = cluster(sign_documents([TRUNCATED, ORIGINAL], config), config)
    (dropped,) = [r for r in first.decisions.to_pylist() if r["duplicate_of"]]
    assert (dropped["doc_id"], dropped["duplicate_of"]) == (TRUNCATED.doc_id, ORIGINAL.doc_id)

    earlier = Earlier(sign_documents([TRUNCATED, ORIGINAL], config), {TRUNCATED.doc_id: ORIGINAL.doc_id})
    second = cluster(sign_documents([REPOST], config), config, earlier)
    assert second.decisions.to_pylist()[0]["duplicate_of"] is None  # the repost is the longest copy
    changes = {r["doc_id"]: r for r in second.changes.to_pylist()}
    assert changes[ORIGINAL.doc_id]["was_duplicate_of"] is None
    assert changes[ORIGINAL.doc_id]["duplicate_of"] == REPOST.doc_id
    assert changes[TRUNCATED.doc_id]["was_duplicate_of"] == ORIGINAL.doc_id
    assert changes[TRUNCATED.doc_id]["duplicate_of"] == REPOST.doc_id
    assert second.clusters == [(REPOST.doc_id, 3, 1)]


def test_a_run_with_nothing_similar_changes_no_earlier_decision():
    config = Config()
    earlier = Earlier(sign_documents([TRUNCATED, ORIGINAL], config), {TRUNCATED.doc_id: ORIGINAL.doc_id})
    result = cluster(sign_documents([SAME_TOPIC], config), config, earlier)
    assert result.changes.num_rows == 0 and result.clusters == []
    assert result.decisions.to_pylist()[0]["duplicate_of"] is None


def test_when_the_kept_copy_leaves_its_cluster_is_decided_again():
    # ORIGINAL was kept; its file changed into another article (SAME_TOPIC under its id).
    config = Config()
    earlier_docs = [TRUNCATED, ORIGINAL, EDITED_LEAD]
    earlier = Earlier(
        sign_documents(earlier_docs, config),
        {TRUNCATED.doc_id: ORIGINAL.doc_id, EDITED_LEAD.doc_id: ORIGINAL.doc_id},
        frozenset({ORIGINAL.doc_id}),
    )
    changed = dataclasses.replace(SAME_TOPIC, doc_id=ORIGINAL.doc_id, source_path=ORIGINAL.source_path)
    result = cluster(sign_documents([changed], config), config, earlier)
    assert result.decisions.to_pylist()[0]["duplicate_of"] is None
    changes = {r["doc_id"]: r for r in result.changes.to_pylist()}
    # EDITED_LEAD is longer than TRUNCATED, so it is promoted and TRUNCATED follows it.
    assert changes[EDITED_LEAD.doc_id]["duplicate_of"] is None
    assert changes[TRUNCATED.doc_id]["duplicate_of"] == EDITED_LEAD.doc_id
    expected, _ = decide([TRUNCATED, EDITED_LEAD, changed])
    assert expected[TRUNCATED.doc_id]["duplicate_of"] == EDITED_LEAD.doc_id


def test_signatures_estimate_the_jaccard_of_the_shingle_sets():
    from pipeline.dedup.signature import shingles, similarity, text_signatures

    config = Config()
    texts = [ORIGINAL.text, REPOST.text, EDITED_LEAD.text, TRUNCATED.text, SAME_TOPIC.text]
    sigs = text_signatures(texts, config.num_perm, config.seed, config.cjk_ngram, config.word_ngram)
    sets = [set(shingles(t, config.cjk_ngram, config.word_ngram)) for t in texts]
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            exact = len(sets[i] & sets[j]) / len(sets[i] | sets[j])
            error = (exact * (1 - exact) / config.num_perm) ** 0.5
            assert abs(similarity(sigs[i], sigs[j]) - exact) <= 4 * error + 0.01, (i, j, exact)


def test_a_text_signs_the_same_whatever_shares_its_batch():
    from pipeline.dedup.signature import text_signatures

    config = Config()
    args = (config.num_perm, config.seed, config.cjk_ngram, config.word_ngram)
    # A text that folds to nothing (only punctuation) first in the batch once
    # shifted the ideograph counts of the texts after it.
    alone = text_signatures([ORIGINAL.text], *args)
    batched = text_signatures(["。。！", ORIGINAL.text, "The council approved the plan."], *args)
    assert (batched[1] == alone[0]).all()


def test_texts_to_verify_come_from_the_first_part_that_holds_them_and_any_row_group(tmp_path):
    # A changed file's new text is staged (an Arrow file) and listed first; the published part (Parquet, row
    # groups of three rows) still holds its old text. Texts are read by row, from whichever groups hold them.
    import pickle

    import pyarrow.parquet as pq

    from pipeline.dedup.index import TextFinder

    published = tmp_path / "part-00001.parquet"
    ids = [f"{k:016x}" for k in range(10)]
    pq.write_table(pa.table({"doc_id": ids, "text": [f"old text {k}" for k in range(10)]}), published, row_group_size=3)
    staged = tmp_path / "documents-00000.arrow"
    with (
        pa.OSFile(str(staged), "wb") as sink,
        pa.ipc.new_file(sink, pa.schema([("doc_id", pa.string()), ("text", pa.string())])) as writer,
    ):
        writer.write_table(pa.table({"doc_id": [ids[7], "ffffffffffffffff"], "text": ["new text 7", "only staged"]}))
    finder = TextFinder([staged, published])
    wanted = [ids[8], ids[7], ids[0], ids[4], "ffffffffffffffff", "not there"]
    expected = {
        ids[8]: "old text 8",
        ids[7]: "new text 7",
        ids[0]: "old text 0",
        ids[4]: "old text 4",
        "ffffffffffffffff": "only staged",
    }
    assert finder(wanted) == expected
    assert finder([ids[9], ids[1]]) == {ids[9]: "old text 9", ids[1]: "old text 1"}
    # Sent to a Dask worker it goes without its index, and builds it again there.
    sent = pickle.loads(pickle.dumps(finder))
    assert sent.ids is None and sent(wanted) == expected


def test_signatures_staged_in_parts_cluster_as_one_table(tmp_path):
    # A run's staged signature parts keep their minhashes in the files (read for the pairs only), and an
    # in-memory table may come in chunks: both cluster as the one table would.
    from pipeline.dedup.search import staged_signatures

    config = Config()
    docs = [doc(f"a{k}.txt", PARAGRAPHS[k % 3 :] + [f"第{k}段补充说明。"]) for k in range(12)]
    docs += [doc("other.txt", [p for p in OTHER[1:] if p])]
    table = sign_documents(docs, config).cast(config.dedup.minhash.schema)
    whole = cluster(table.combine_chunks(), config)
    assert whole.stats["verified_pairs"] > 0
    chunked = cluster(pa.concat_tables([table.slice(k, 3) for k in range(0, table.num_rows, 3)]), config)
    assert chunked.decisions.equals(whole.decisions)
    paths = []
    for k in range(0, table.num_rows, 5):
        paths.append(tmp_path / f"signatures-{k:05d}.arrow")
        with pa.OSFile(str(paths[-1]), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table.slice(k, 5))
    signatures, minhashes = staged_signatures(paths, config.dedup.minhash)
    assert "minhash" not in signatures.column_names and len(minhashes) == table.num_rows
    staged = cluster(signatures, config, texts=None, minhashes=minhashes)
    assert staged.decisions.equals(whole.decisions)
