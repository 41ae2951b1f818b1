# 企業一覧と企業ページ（en/companies.ftl と同じキーを持つこと）

## 企業一覧
company-sort = 並び順
company-sort-name = 会社名順
company-sort-activity = 最終活動が新しい順
company-sort-people = 人数が多い順
company-col-people = 人数
company-col-owners = 担当者
company-col-last-activity = 最終活動
company-col-people-names = 最近活動した人
company-people-more = ほか{ $count }名
company-double-approach = 二重アプローチ注意
company-double-approach-hint = 複数の担当者がこの会社のリードを担当しています
company-rank-limit = 最終活動順では上位{ $count }社まで表示します。会社名で検索すると絞り込めます。

## 企業ページ
company-details = 企業情報
company-legal-form = 法人格
company-industry = 業種
company-open-leads = リード一覧で表示
company-owners = 担当者別のリード数
company-owner-leads = { $count }件
company-people = この会社の人物（{ $count }名）
company-people-shown = 最近活動のあった{ $count }名を表示しています。
company-no-people = この会社のリードはいません。
company-double-approach-warning = この会社のリードを複数の担当者（{ $names }）が担当しています。連絡する前に担当者同士で調整してください（二重アプローチ防止）。

## 担当者の重複
company-filter-conflicts = 担当者が重複している会社のみ
company-conflicts-note = 複数の担当者がリードを持っている会社だけを表示しています。
company-conflicts-all = すべての会社を表示
company-conflicts-none = 担当者が重複している会社はありません。
company-people-hidden = ほかの担当者のリード{ $count }名は表示していません。
