"""Part 4a: the lesson report.

lessonmetrics (what a lesson measures), talk (who talks and for how long), build (the report's
data), page (its HTML page), timeline (lessons over time), linguistics (Praat TextGrid and ELAN
.eaf), options (defaults, light for ``--help``).
"""
