"""Part 1: films cut into parts (cutting) and parts processed into segments (processing).

media, speech, segments and features are what processing is made of.
"""
