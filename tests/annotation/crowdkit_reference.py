"""Reference competences for annotation.quality.mace, computed by crowd-kit's MACE on the same simulated answers.

crowd-kit is not a dependency of Hyoka (it pulls in transformers and nltk); to recompute the reference, in a
throwaway virtual environment:

    python -m venv /tmp/crowdkit && /tmp/crowdkit/bin/pip install crowd-kit
    /tmp/crowdkit/bin/python tests/annotation/crowdkit_reference.py > tests/annotation/crowdkit_mace_reference.json
"""

import json

import numpy as np

SCENARIOS = {"careful_random_constant": 0, "mixed_skill": 1, "rated_twice": 2}


def simulated_answers(seed):
    """(tasks, annotators, labels) codes: 300 tasks with 5 labels, 6 annotators each answering about two thirds
    of them. Scenario 0: two careful annotators (right 90% of the time), one at random, one always the top label,
    two middling (right 60%). Scenario 1: skills spread from 95% to 30%. Scenario 2 (rated_twice): see there."""
    rng = np.random.default_rng(seed)
    if seed == SCENARIOS["rated_twice"]:
        return rated_twice(rng)
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


def rated_twice(rng):
    """1,000 tasks with 5 labels, each answered by two of four annotators (who know the answer 90%, 75% and 50%
    of the time and otherwise guess, and one who always guesses): at most 150 distinct sets of answers, most of
    them given to many tasks, as in a large campaign rated twice by a few dozen annotators."""
    n_tasks, n_labels, skills = 1000, 5, [0.9, 0.75, 0.5, 0.0]
    truth = rng.integers(0, n_labels, n_tasks)
    tasks = np.repeat(np.arange(n_tasks), 2)
    annotators = np.concatenate([rng.choice(len(skills), 2, replace=False) for _ in range(n_tasks)])
    right = rng.random(len(tasks)) < np.array(skills)[annotators]
    labels = np.where(right, truth[tasks], rng.integers(0, n_labels, len(tasks)))
    return tasks, annotators, labels


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
