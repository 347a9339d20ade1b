# confusable-homoglyphs 3.3 ships no type hints: the data Inkwell reads, typed.
