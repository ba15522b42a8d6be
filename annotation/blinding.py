"""What an annotator is shown of a model's response: its turns, and the model's name only where the campaign
shows model names (by default it does not). The hot path (annotation.hot_paths) applies the same rule in SQL."""


def shown_response(response, show_model_names):
    return {"turns": response.turns, "model": response.model.name if show_model_names else None}
