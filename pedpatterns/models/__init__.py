"""Part 4: the pattern models and their honest evaluation.

textmodel (audio and text), imagemodel (keyframes), trust (what a model file may contain before
it is read: the checks both models run first), evaluation (shared metrics), groupsplit (whole
groups on one side of the split: one policy for dataset_foto/ and the models), autolabel
(labelling new parts with the image model).
"""
