# linkify-it-py 2.2.0 ships no type hints: the part app/services/markdown.py uses, typed.
from linkify_it.main import LinkifyIt as LinkifyIt
