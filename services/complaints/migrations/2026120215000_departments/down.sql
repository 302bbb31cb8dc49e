DROP TABLE staff_notifications;
DROP TABLE department_members;
DROP TABLE departments;
