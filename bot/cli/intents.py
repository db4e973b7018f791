"""``helpdesk intents``: train the intent and sector classifier."""

from __future__ import annotations

import click

from bot.cli.common import _settings
from bot.wiring import knowledge_base
from intents.classifier import IntentModelError


@click.group()
def intents() -> None:
    """Train and inspect the intent classifier.

    Example: helpdesk intents train
    """


@intents.command("train")
@click.option("--if-stale", is_flag=True, help="Train only when the saved model is missing or outdated.")
@click.option("--c", "c", default=8.0, show_default=True, help="Inverse regularization of the model.")
@click.pass_context
def intents_train(ctx: click.Context, if_stale: bool, c: float) -> None:
    """Fit the intent and sector classifier on intents/data and the articles; save it.

    Example: helpdesk intents train
    """
    from intents.classifier import IntentClassifier, train_classifier, training_digest

    settings = _settings(ctx)
    knowledge = knowledge_base(settings)
    target = settings.intents_dir
    if if_stale:
        try:
            saved = IntentClassifier.load(target)
            wanted = training_digest(knowledge)
            if saved.meta.get("data_digest") == wanted:
                click.echo(f"intent model is up to date ({target})")
                return
            click.echo("retraining: the training data changed")
        except IntentModelError as exc:
            click.echo(f"training: {exc}")
    classifier = train_classifier(knowledge, c=c)
    classifier.save(target)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(classifier.meta["examples"].items()))
    click.echo(f"saved {target}: {classifier.name}; examples: {counts}")
