# 今追うべきリード（en/queue.ftl と同じキーを持つこと）
nav-queue = 今追うべきリード
queue-title = 今追うべきリード
queue-intro = 営業渡し（SQL）のリードが先頭、その後は温度の高い順です。理由を見てから連絡してください。
queue-whose = 担当者
queue-everyone = 全員
queue-show = 表示
queue-empty = 今追うべきリードはありません。
queue-col-lead = リード
queue-col-temperature = 温度
queue-col-status = ステータス
queue-col-reasons = 理由
queue-col-last = 前回の対応
queue-col-owner = 担当
queue-score = スコア
queue-fit = フィット
queue-returned = 休眠から復帰
queue-returned-hint = 休眠していたリードが再び育成中の基準を満たしました
queue-not-contacted = 未対応
temperature-hot = ホット
temperature-warm = ウォーム
temperature-cold = コールド

## リードページの温度
lead-temperature = 温度
lead-engagement = エンゲージメント
lead-fit = フィット
lead-no-engagement = まだ行動の記録がありません。
lead-breakdown-day = 日付
lead-breakdown-what = 行動
lead-breakdown-events = 件数
lead-breakdown-points = 点数
lead-breakdown-today = 今日の点数
lead-breakdown-automated = 自動アクセス（採点しない）
lead-breakdown-note = 点数は1日ごとの上限まで数え、半減期{ $days }日で減っていきます。
