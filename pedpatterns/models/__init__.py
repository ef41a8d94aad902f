"""Part 4: the pattern models and their honest evaluation.

textmodel (audio and text), imagemodel (keyframes), evaluation (shared metrics), autolabel
(labelling new parts with the image model).
"""
