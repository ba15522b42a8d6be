"""Reference competences for annotation.quality.mace, computed by crowd-kit's MACE on the same simulated answers.

crowd-kit is not a dependency of Hyoka (it pulls in transformers and nltk); to recompute the reference, in a
throwaway virtual environment:

    python -m venv /tmp/crowdkit && /tmp/crowdkit/bin/pip install crowd-kit
    /tmp/crowdkit/bin/python tests/annotation/crowdkit_reference.py > tests/annotation/crowdkit_mace_reference.json
"""

import json

import numpy as np

SCENARIOS = {"careful_random_constant": 0, "mixed_skill": 1}


def simulated_answers(seed):
    """(tasks, annotators, labels) codes: 300 tasks with 5 labels, 6 annotators each answering about two thirds
    of them. Scenario 0: two careful annotators (right 90% of the time), one at random, one always the top label,
    two middling (right 60%). Scenario 1: skills spread from 95% to 30%."""
    rng = np.random.default_rng(seed)
    n_tasks, n_labels = 300, 5
    truth = rng.integers(0, n_labels, n_tasks)
    skills = [0.9, 0.9, None, "constant", 0.6, 0.6] if seed == 0 else [0.95, 0.8, 0.65, 0.5, 0.4, 0.3]
    tasks, annotators, labels = [], [], []
    for annotator, skill in enumerate(skills):
        for task in np.flatnonzero(rng.random(n_tasks) < 0.67):
            if skill == "constant":
                label = n_labels - 1
            elif skill is None or rng.random() > skill:
                label = rng.integers(0, n_labels)
            else:
                label = truth[task]
            tasks.append(task)
            annotators.append(annotator)
            labels.append(int(label))
    return np.array(tasks), np.array(annotators), np.array(labels)


def crowdkit_competence(seed, method):
    """Each annotator's probability of answering knowingly (MACE's ``spamming_[:, 1]``), by annotator code."""
    import pandas as pd
    from crowdkit.aggregation import MACE

    tasks, annotators, labels = simulated_answers(seed)
    data = pd.DataFrame({"task": tasks, "worker": annotators, "label": labels})
    model = MACE(method=method, n_restarts=1, n_iter=50, random_state=0).fit(data)
    workers = pd.factorize(data["worker"])[1]
    knowing = dict(zip(workers.tolist(), model.spamming_[:, 1].tolist()))
    return [knowing[annotator] for annotator in sorted(knowing)]


if __name__ == "__main__":
    print(json.dumps({name: {method: crowdkit_competence(seed, method) for method in ("em", "vb")}
                      for name, seed in SCENARIOS.items()}, indent=1))
