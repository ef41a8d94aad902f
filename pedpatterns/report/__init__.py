"""Part 4a: the lesson report.

lessonmetrics (what a lesson measures), waits (the wait after each question and who broke the silence),
questionquality (open or closed questions, their level), references (what research says about the numbers,
with sources), trend (a teacher's latest lesson against their earlier ones), talk (who talks and for how long),
moments (the seconds worth watching), build (the report's data), page (its HTML page), timeline (lessons over
time), linguistics (Praat TextGrid and ELAN .eaf), privacy (the copies without names, for sharing), options
(defaults, light for ``--help``).
"""
