"""A third-party noteflow component: `{upper #shout value=greeting}` upper-cases a string."""

from __future__ import annotations

from collections.abc import Mapping

from noteflow.components import Component, ComponentContext, ComponentResult, Value, value


class Upper(Component):
    name = "upper"

    def reads(self) -> list[str]:
        return [str(self.params["value"])]

    def defines(self) -> list[str]:
        return [self.label or "upper"]

    def run(self, inputs: Mapping[str, Value], context: ComponentContext) -> ComponentResult:
        text = str(inputs[self.reads()[0]]["value"]).upper()
        shown = {"output_type": "stream", "name": "stdout", "text": text + "\n"}
        return ComponentResult([shown], {self.defines()[0]: value(text)})
