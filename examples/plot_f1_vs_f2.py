"""
F1 vs F2 margins
================

Chizat & Bach, "Implicit Bias of Gradient Descent for Wide Two-layer Neural Networks
Trained with the Logistic Loss" (COLT 2020): training both layers is biased towards the F1
(variation-norm) max-margin classifier, training only the output layer on fixed
random features towards the F2 (kernel) one. pwl_kkt computes both exactly enough
to compare them with a trained network's normalized margin min_i y_i N(x_i) / ||theta||^2.
"""

# %%
import matplotlib.pyplot as plt

from pwl_kkt import margin_report, teacher_student_setup, train

setup = teacher_student_setup(r=3, n=25, k=40, seed=7)
net, history = train(setup.init, setup.data, steps=20000, lr=0.05, progress=False)
report = margin_report(net, setup.data, n_features=200)
print(report)

# %%
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
names = ["trained network", "F1 optimum", "F2 (kernel) optimum", "200 random features"]
values = [report.network, report.f1, report.f2, report.random_features]
ax.barh(names, values, color=["black", "tab:blue", "tab:orange", "tab:green"])
ax.set_xlabel("normalized margin min y N / ‖θ‖²")
