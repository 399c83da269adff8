"""Questions asked only at a terminal; elsewhere a missing answer is an error naming the flag."""

from __future__ import annotations

from crisisctl.errors import UsageError
from crisisctl.incident.inputs import parse_input_value
from crisisctl.playbook.model import Input


def ask_inputs(missing: list[Input], interactive: bool) -> dict[str, object]:
    """Values for required inputs, asked one by one; answers pass the same checks as --input."""
    if not missing:
        return {}
    if not interactive:
        names = ", ".join(declared.id for declared in missing)
        example = missing[0].id
        raise UsageError(
            f"required input(s) missing: {names}",
            f"pass them as --input {example}=VALUE (standard input is not a terminal, so crisisctl cannot ask)",
        )
    import questionary

    values: dict[str, object] = {}
    for declared in missing:
        question = declared.prompt or f"{declared.id} ({declared.type})"

        def validate(text: str, declared: Input = declared) -> bool | str:
            try:
                parse_input_value(declared, text)
            except UsageError as error:
                return f"{error.message}: {error.hint}"
            return True

        if declared.choices:
            answer = questionary.select(question, choices=[str(choice) for choice in declared.choices]).ask()
        else:
            answer = questionary.text(question, validate=validate).ask()
        if answer is None:
            raise KeyboardInterrupt
        values[declared.id] = parse_input_value(declared, answer)
    return values
