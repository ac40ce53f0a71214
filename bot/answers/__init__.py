"""Answer composition: what a reply says when the catalogue or a document already holds the answer.

products (finding the named product), facts (its facts as sentences), catalogue (the index's
products, kept current), passages (the units of a document that answer), followup, smalltalk,
complaints, and engine (the chat-turn steps built on them).
"""
