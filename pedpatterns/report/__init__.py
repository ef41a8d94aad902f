"""Part 4a: the lesson report.

lessonmetrics (what a lesson measures), build (the report's data), page (its HTML page).
"""
