"""The experts' labels, as every stage reads them: below the stages, so none reaches into Label Studio's room.

tags (the names the labelling interface and its exports share), options (the share of experts a
pattern needs, light for ``--help``), exports (every Label Studio export format read to one
``Annotation``), labelled (answers merged per segment and joined with segments.csv: the labelled set);
questions (the kinds of a teacher's question, shared by the rules and the interface), questionlabels (the
experts' question labels read from a JSON export) and questionscores (the rules scored against them).
"""
