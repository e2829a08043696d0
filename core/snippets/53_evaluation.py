import torch
from sklearn.metrics import confusion_matrix, f1_score, precision_score, r2_score, recall_score, roc_auc_score

torch.manual_seed(0)
y_true = torch.randint(0, 2, (200,))
logits = 2.0 * (y_true.float() - 0.5) + torch.randn(200)    # a decent, imperfect model's outputs
scores = torch.sigmoid(logits)

for threshold in (0.5, 0.2):
    y_pred = (scores > threshold).long()
    print(f"threshold {threshold}: precision {precision_score(y_true, y_pred):.3f}, "
          f"recall {recall_score(y_true, y_pred):.3f}, F1 {f1_score(y_true, y_pred):.3f}")
print("confusion matrix at 0.5 (rows: truth, columns: prediction)")
print(confusion_matrix(y_true, scores > 0.5))
print(f"ROC AUC {roc_auc_score(y_true, scores):.3f} (uses the scores, not a threshold)")

target = torch.randn(100)
print(f"R² of predicting the mean: {r2_score(target, torch.full_like(target, target.mean().item())):.3f}")
