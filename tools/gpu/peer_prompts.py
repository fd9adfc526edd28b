"""The prompts the GPU peers run: read from a selfens per_prompt.feather
(one row per question and paraphrase, its prompt in `prompts`)."""
import pyarrow.feather as feather


def question_prompts(per_prompt_path, n, questions):
    """The prompts of paraphrases 0..n-1 of the first `questions` questions,
    one list per question, in paraphrase order."""
    t = feather.read_table(per_prompt_path).to_pandas()
    t = t[t.paraphrase_index < n]
    uuids = list(dict.fromkeys(t.uuid))[:questions]
    out = []
    for u in uuids:
        rows = t[t.uuid == u].sort_values("paraphrase_index")
        out.append([p[0] if len(p) else "" for p in rows.prompts])
    return out
