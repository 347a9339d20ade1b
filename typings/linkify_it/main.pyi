from typing import Any

class Match:
    schema: str
    index: int
    last_index: int
    raw: str
    text: str
    url: str
    def __init__(self, text: str, schema: str, index: int, last_index: int) -> None: ...

class LinkifyIt:
    def __init__(
        self, schemas: dict[str, Any] | None = None, options: dict[str, bool] | None = None
    ) -> None: ...
    def add(self, schema: str, definition: str | dict[str, Any] | None) -> LinkifyIt: ...
    def test(self, text: str) -> bool: ...
    def match(self, text: str) -> list[Match] | None: ...
