INSERT INTO points_reviewaward (review_id, resident_id, points, awarded_on, created_at)
SELECT %(review)s, %(resident)s,
       CASE WHEN (SELECT count(*) FROM points_reviewaward
                  WHERE resident_id = %(resident)s AND awarded_on = %(day)s AND points > 0)
                 < %(cap)s
            THEN %(points)s ELSE 0 END,
       %(day)s, %(now)s
ON CONFLICT (review_id) DO NOTHING
RETURNING points
